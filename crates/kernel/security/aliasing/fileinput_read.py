# technique: fileinput reads named files
# expected: lint, runtime, os
import fileinput
for line in fileinput.input(['{CANARY}']):
    print('ESCAPED', line)
