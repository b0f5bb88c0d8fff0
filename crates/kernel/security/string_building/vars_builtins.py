# technique: vars(builtins)[name]
# expected: lint, runtime, os
import builtins
print('ESCAPED', vars(builtins)['op' + 'en']('{CANARY}').read())
