# technique: f-string with dunder attribute access
# expected: lint, runtime
x = ()
print(f'{x.__class__.__base__.__subclasses__()}')
