# technique: matplotlib.rc_file reads an arbitrary file
# expected: runtime, os
import matplotlib
matplotlib.rc_file('{CANARY}')
print('ESCAPED')
