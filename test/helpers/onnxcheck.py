#!/usr/bin/env python3
"""Validate ONNX models with onnx.checker.check_model(full_check=True).

Usage: onnxcheck.py MODEL.onnx [...]   (or `-` to read one model from stdin)
       onnxcheck.py --schema           (print the official field numbers as JSON)
Prints one JSON object per model: {"path", "ok", "error", "onnx_version"}. Exit status is 0
when every model passes, 1 when one fails, 3 when the onnx package cannot be imported.
"""
import json
import sys

try:
    import onnx
except ImportError as e:  # the TypeScript wrapper turns this into a skip or a failure
    print(json.dumps({"ok": False, "error": f"import onnx failed: {e}", "missing": True}))
    sys.exit(3)


def check(path):
    try:
        data = sys.stdin.buffer.read() if path == "-" else open(path, "rb").read()
        model = onnx.load_from_string(data)
        onnx.checker.check_model(model, full_check=True)
        return {"path": path, "ok": True, "error": None, "onnx_version": onnx.__version__}
    except Exception as e:  # checker errors come as several exception types
        return {"path": path, "ok": False, "error": f"{type(e).__name__}: {e}", "onnx_version": onnx.__version__}


def schema():
    """Field name -> number for the messages we write, from the installed onnx descriptors."""
    messages = [onnx.ModelProto, onnx.GraphProto, onnx.NodeProto, onnx.AttributeProto, onnx.TensorProto,
                onnx.ValueInfoProto, onnx.TypeProto, onnx.TypeProto.Tensor, onnx.TensorShapeProto,
                onnx.TensorShapeProto.Dimension, onnx.OperatorSetIdProto, onnx.StringStringEntryProto]
    out = {m.DESCRIPTOR.full_name: {f.name: f.number for f in m.DESCRIPTOR.fields} for m in messages}
    out["onnx.AttributeProto.AttributeType"] = dict(onnx.AttributeProto.AttributeType.items())
    return out


if __name__ == "__main__":
    if sys.argv[1:] == ["--schema"]:
        print(json.dumps(schema()))
        sys.exit(0)
    results = [check(p) for p in sys.argv[1:]]
    for r in results:
        print(json.dumps(r))
    sys.exit(0 if all(r["ok"] for r in results) else 1)
