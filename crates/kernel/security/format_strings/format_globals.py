# technique: str.format field walks to __globals__
# expected: lint, runtime
import tempfile
print('{0.mkstemp.__globals__[_os].environ}'.format(tempfile))
