"""Run one ONNX Runtime operator on NumPy arrays: the independent reference for the
activation, normalization, convolution and pooling layers.

Our layers hold data as (T, B, C); ONNX's Conv/Pool/BatchNormalization take (N, C, L)
and LayerNormalization normalizes the trailing axes. The tests transpose at the call.
"""

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper

_TYPES = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float64): TensorProto.DOUBLE}


def run_op(op, inputs, opset=20, n_out=1, **attrs):
    """``inputs``: list of arrays (None for an omitted optional input). Returns the outputs."""
    names, feeds, infos = [], {}, []
    for i, a in enumerate(inputs):
        if a is None:
            names.append("")
            continue
        name = f"in{i}"
        a = np.asarray(a)
        names.append(name)
        feeds[name] = a
        infos.append(helper.make_tensor_value_info(name, _TYPES[a.dtype], list(a.shape)))
    out_type = _TYPES[np.asarray(inputs[0]).dtype]
    outs = [f"out{i}" for i in range(n_out)]
    node = helper.make_node(op, names, outs, **attrs)
    graph = helper.make_graph([node], op, infos,
                              [helper.make_tensor_value_info(o, out_type, None) for o in outs])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 9
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    res = sess.run(None, feeds)
    return res[0] if n_out == 1 else res


def run_graph(nodes, inputs, output, opset=20):
    """A small graph of ``nodes`` (helper.make_node) with named float inputs."""
    infos = [helper.make_tensor_value_info(n, _TYPES[np.asarray(a).dtype], list(a.shape))
             for n, a in inputs.items()]
    out_type = _TYPES[np.asarray(next(iter(inputs.values()))).dtype]
    graph = helper.make_graph(nodes, "g", infos,
                              [helper.make_tensor_value_info(output, out_type, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 9
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, dict(inputs))[0]
