-- SPDX-License-Identifier: GPL-2.0
-- pass.lua: the smallest script: every byte is delivered unchanged.  The
-- baseline for measuring what a scripted socket costs.
--   rule: script = "examples/pass.lua"; entry = "entry";

function entry(data, size, nonblock)
	return nil		-- = luaulp.PASS
end
