# technique: catch_warnings._module.__builtins__ classic
# expected: lint, runtime, os
W = [c for c in ().__class__.__bases__[0].__subclasses__() if c.__name__ == 'catch_warnings'][0]
b = W()._module.__builtins__
print('ESCAPED', b['open']('{CANARY}').read())
