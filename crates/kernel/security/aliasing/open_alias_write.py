# technique: alias open, overwrite the canary
# expected: lint, runtime, os
w = open
w('{CANARY}', 'w').write('pwned')
print('ESCAPED')
