# technique: write to /dev/shm
# expected: runtime, os
open('/dev/shm/spatialclaw-corpus-escape-{HOST_PID}', 'w').write('x')
