# SPDX-License-Identifier: GPL-2.0
#
# LuaulpTrace: which nginx-tests subtests met a refusal by http_guard.
# tests/scripts/nginx-tests.sh loads it into every test file of the guarded
# run (PERL5OPT=-MLuaulpTrace).  Test::Nginx passes every request it sends
# through log_out() and every reply it reads through log_in(); a reply that
# is the guard's 400 ("Bad Request: REASON" in its body; nginx's own 400 is
# an HTML page) is noted, and the next assertion (Test::Builder::ok) is the
# subtest it belongs to.  One line per refusal goes to $LUAULP_NT_TRACE:
#   FILE <TAB> SUBTEST <TAB> ok|not ok <TAB> NAME <TAB> REASON <TAB> REQUEST
# (REQUEST: the first line of the last request sent before the reply).
package LuaulpTrace;

use strict;
use warnings;

my ($last_request, @pending) = ('-');

sub note_line {
	my ($test, $ok, $name) = @_;
	my $out = $ENV{LUAULP_NT_TRACE} or return;
	open(my $fh, '>>', $out) or return;
	(my $file = $0) =~ s{.*/}{};
	for my $p (@pending) {
		my $line = join("\t", $file, $test, $ok, $name, @$p);
		$line =~ s/([^\x20-\x7e\t])/sprintf('\\x%02x', ord($1))/ge;
		print $fh $line, "\n";
	}
	close($fh);
	@pending = ();
}

sub wrap {
	my ($pkg, $sym, $make) = @_;
	no strict 'refs';
	no warnings 'redefine';
	my $orig = defined &{"${pkg}::$sym"} ? \&{"${pkg}::$sym"} : return;
	*{"${pkg}::$sym"} = $make->($orig);
}

# After the test file is compiled (its "use Test::Nginx" imported log_in and
# log_out into main::, so both copies are wrapped).
INIT {
	return unless defined &Test::Nginx::log_in;
	my $out = sub {
		my $orig = shift;
		sub {
			my $m = $_[-1];
			if (defined $m and $m =~ /^([A-Za-z]+ [^\r\n]*)/) {
				$last_request = $1;
			}
			$orig->(@_);
		};
	};
	my $in = sub {
		my $orig = shift;
		sub {
			my $m = $_[-1];
			if (defined $m and $m =~ /^HTTP\/1\.1 400 Bad Request\r\n.*?\r\n\r\nBad Request: ([^\n]*)/s) {
				push @pending, [$1, $last_request];
			}
			$orig->(@_);
		};
	};
	for my $pkg ('Test::Nginx', 'main') {
		wrap($pkg, 'log_out', $out);
		wrap($pkg, 'log_in', $in);
	}
	wrap('Test::Builder', 'ok', sub {
		my $orig = shift;
		sub {
			my ($tb, $test, $name) = @_;
			my @r = $orig->(@_);
			note_line($tb->current_test, $test ? 'ok' : 'not ok', $name // '') if @pending;
			return wantarray ? @r : $r[0];
		};
	});
}

END {
	note_line('-', '-', '(after the last subtest)') if @pending;
}

1;
