// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target of the luaulp runtime: the input is a Lua chunk, run in
 * a fresh sandboxed state under the kernel's limits; if it defines a global
 * function "entry", that is called with the input as a string, the way the
 * module calls a script's entry with received bytes.  Any crash, sanitizer
 * report, leak (the byte counter not back to zero) or a limit not holding
 * (memory above the cap) aborts.
 *
 *   make fuzz [FUZZ_TIME=600]     (build/runtime/fuzz_runtime)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua.h"
#include "runtime.h"
#include "runtime_host.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* the module's memory cap; a smaller budget and a wall-clock ceiling
	 * keep each input fast */
	luaulp_rt_host_set_limits(256 * 1024, 200000, 200);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct luaulp_rt *rt;
	lua_State *L;
	char result[256];
	int err;

	if (luaulp_rt_create(&rt, NULL))
		abort();
	err = luaulp_rt_exec(rt, (const char *)data, size, "=fuzz", result,
			     sizeof(result));
	if (err && !luaulp_rt_error(rt)[0])
		abort();	/* every error has a message */
	if (luaulp_rt_memory(rt) > luaulp_rt_memory_max(rt))
		abort();
	L = luaulp_rt_lua(rt);
	if (lua_getglobal(L, "entry") == LUA_TFUNCTION) {
		lua_pushlstring(L, (const char *)data, size);
		lua_pushinteger(L, (lua_Integer)size);
		err = luaulp_rt_pcall(rt, 2, 1);
		if (!err)
			lua_pop(L, 1);
	} else {
		lua_pop(L, 1);
	}
	if (lua_gettop(L) != 0)
		abort();
	if (luaulp_rt_memory(rt) > luaulp_rt_memory_max(rt))
		abort();
	luaulp_rt_destroy(rt);
	if (luaulp_rt_live_bytes() != 0)
		abort();
	return 0;
}
