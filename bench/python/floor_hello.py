# The Python cold-start floor: a bare interpreter that opens fd 3 and sends one framed message.
import os

h = b'{"method":"$/hello","params":{}}'
os.write(3, (len(h) + 4).to_bytes(4, "big") + len(h).to_bytes(4, "big") + h)
os.read(3, 1)
