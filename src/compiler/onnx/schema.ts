/**
 * @file The subset of the ONNX protobuf schema that seqppl emits, as proto2 text parsed by
 * protobufjs at load time.
 *
 * Field numbers, types and `packed` options are those of the official `onnx/onnx.proto` at
 * IR version 8 (`IR_VERSION_2021_7_30`, onnx 1.10–1.12); they were checked field by field
 * against the descriptors of Debian's python3-onnx 1.12, and `test/compiler/onnx/proto.test.ts`
 * re-checks them there. Messages and fields we never write (sparse tensors, functions, training
 * info, sequence/map types, external data, quantization annotations) are left out: a decoder
 * skips unknown fields, so models from other producers still decode.
 *
 * The schema lives in a TypeScript string rather than a `.proto` file so that `tsc` output is
 * self-contained (tsc does not copy non-TS assets into dist/).
 */
import protobuf from 'protobufjs';

/** proto2 text of the ONNX messages we use (official field numbers, IR version 8). */
export const ONNX_SUBSET_PROTO = `
syntax = "proto2";
package onnx;

message AttributeProto {
  enum AttributeType {
    UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5;
    FLOATS = 6; INTS = 7; STRINGS = 8; TENSORS = 9; GRAPHS = 10;
  }
  optional string name = 1;
  optional string doc_string = 13;
  optional AttributeType type = 20;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  optional GraphProto g = 6;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  repeated TensorProto tensors = 10;
  repeated GraphProto graphs = 11;
}

message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
  optional string doc_string = 3;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  optional string domain = 7;
  repeated AttributeProto attribute = 5;
  optional string doc_string = 6;
}

message StringStringEntryProto {
  optional string key = 1;
  optional string value = 2;
}

message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}

message ModelProto {
  optional int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
  repeated StringStringEntryProto metadata_props = 14;
}

message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  optional string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
}

message TensorProto {
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional string doc_string = 12;
  optional bytes raw_data = 9;
  repeated double double_data = 10 [packed = true];
}

message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    }
    optional string denotation = 3;
  }
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
  }
  optional string denotation = 6;
}
`;

/** The parsed schema (protobufjs reflection root, camelCase field names). */
export const onnxRoot: protobuf.Root = protobuf.parse(ONNX_SUBSET_PROTO, { keepCase: false }).root;

/** The `onnx.ModelProto` message type. */
export const ModelProtoType: protobuf.Type = onnxRoot.lookupType('onnx.ModelProto');
