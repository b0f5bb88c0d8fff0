# technique: io.open is the same builtin under another module
# expected: lint, runtime, os
import io
print('ESCAPED', io.open('{CANARY}').read())
