return pcall(error, "e"), pcall(error)
