# technique: list the real home directories (/root, /home) for keys and tokens
# expected: runtime, os
import os
for d in ('/root', '/home'):
    try:
        print('ESCAPED', d, os.listdir(d))
    except FileNotFoundError:
        pass
