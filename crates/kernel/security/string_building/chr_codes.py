# technique: module name from chr codes into __import__
# expected: lint, runtime, os
m = __import__(''.join(map(chr, [111, 115])))
m.system('touch {CANARY_DIR}/chr')
