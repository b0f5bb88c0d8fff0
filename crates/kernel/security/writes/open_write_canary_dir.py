# technique: open(..., 'w') in the canary dir
# expected: runtime, os
open('{CANARY_DIR}/new.txt', 'w').write('pwned')
