# technique: compile + FunctionType
# expected: lint, runtime
import types
c = compile("print('ESCAPED')", 'x', 'exec')
types.FunctionType(c, {})()
