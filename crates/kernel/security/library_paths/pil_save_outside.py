# technique: PIL Image.save outside scratch
# expected: runtime, os
from PIL import Image
Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save('{CANARY_DIR}/x.png')
