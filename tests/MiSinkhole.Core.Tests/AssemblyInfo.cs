[assembly: Parallelize(Workers = 0, Scope = ExecutionScope.MethodLevel)]
