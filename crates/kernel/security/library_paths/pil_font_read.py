# technique: PIL ImageFont.truetype on an arbitrary path
# expected: runtime, os
from PIL import ImageFont
ImageFont.truetype('{CANARY}', 10)
