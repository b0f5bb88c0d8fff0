# technique: eval of a string
# expected: lint, runtime
eval("print('ESCAPED')")
