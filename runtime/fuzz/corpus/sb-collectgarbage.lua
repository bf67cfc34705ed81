collectgarbage()
collectgarbage("step")
return math.type(collectgarbage("count")), collectgarbage("count") > 0, collectgarbage("isrunning")
