# technique: plain open().read() of the canary
# expected: lint, runtime, os
print(open('{CANARY}').read())
