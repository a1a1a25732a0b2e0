"""dlcourse: the foundations of deep learning, as a NumPy library and a Jupyter course.

The library is the reference implementation the course's exercises are graded
against. Its API mirrors PyTorch's names and numerics (float64 by default).
"""

__version__ = "0.1.0"
