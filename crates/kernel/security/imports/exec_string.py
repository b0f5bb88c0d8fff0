# technique: exec of a string
# expected: lint, runtime
exec("print('ESCAPED')")
