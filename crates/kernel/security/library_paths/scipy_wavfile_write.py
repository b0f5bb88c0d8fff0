# technique: scipy.io.wavfile.write outside scratch
# expected: runtime, os
from scipy.io import wavfile
wavfile.write('{CANARY_DIR}/x.wav', 8000, np.zeros(10, np.int16))
