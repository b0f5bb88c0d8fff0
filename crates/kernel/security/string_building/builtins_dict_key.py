# technique: __builtins__ mapping with a computed key
# expected: lint, runtime, os
b = __builtins__
k = 'ne' + 'po'
o = b[k[::-1]] if isinstance(b, dict) else getattr(b, k[::-1])
print('ESCAPED', o('{CANARY}').read())
