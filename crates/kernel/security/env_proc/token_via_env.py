# technique: look up the token file path in os.environ and read it
# expected: host, runtime, os
import os
p = os.environ.get('SPATIALCLAW_GPU_TOKEN_FILE', '{TOKEN_FILE}')
print(open(p).read())
