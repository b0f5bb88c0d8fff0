# technique: append to the canary
# expected: runtime, os
open('{CANARY}', 'a').write('pwned')
