"""The recurrent core: time loops, cells and their kernels. No MATLAB names below here.

A cell module (``gru``, ``lstm``) owns its gate maths and its fused kernels and exposes
``make_params``, ``forward`` and ``backward`` over a whole (T, B, D) batch; what every
cell shares lives beside it:

=============== ======================================================================
buffers         work arrays reused between calls (the reuse rule is documented there)
blas            the GEMM orientation choice, timed once per shape
fast            the switch between the plain array path and the numba kernels
numba_common    the bundled-OpenBLAS GEMM and the activations, for the numba kernels
activations     gate and state activations for the plain array path
directions      one or two directions over a sequence: the reverse direction is the
                same cell run over the time-reversed input; states per direction
=============== ======================================================================
"""
