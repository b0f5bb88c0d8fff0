# technique: hide open inside a list, call it through indexing
# expected: lint, runtime, os
fs = [print, open]
print('ESCAPED', fs[1]('{CANARY}').read())
