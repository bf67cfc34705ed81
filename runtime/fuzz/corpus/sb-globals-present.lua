return type(luaulp), type(string), type(table), type(utf8), type(coroutine), type(math), _VERSION, type(_G), type(load), type(collectgarbage)
