# technique: getattr(builtins, 'op'+'en')
# expected: lint, runtime, os
import builtins
o = getattr(builtins, 'op' + 'en')
print('ESCAPED', o('{CANARY}').read())
