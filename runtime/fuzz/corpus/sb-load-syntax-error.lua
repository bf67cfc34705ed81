return load("return +", "=chunk")
