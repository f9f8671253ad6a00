{
  # Sources come from native/sources.js (one list for node-gyp and cmake-js): a kernel's ISA is in
  # its file name. Each x86 ISA compiles in its own static library with its own flags, so the baseline
  # code never contains an instruction an old CPU lacks; native/common/isa.cc picks at load time.
  # An ISA library has sources only on its own architecture (node-gyp builds every target).
  "target_defaults": {
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
    "cflags_cc": ["-std=c++17", "-O3", "-fno-math-errno", "-fno-trapping-math", "-fvisibility=hidden", "-Wall", "-Wno-unused-function", "-Wno-psabi"],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native"],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
    "conditions": [
      ["target_arch=='x64'", { "defines": ["FASTGRAD_HAVE_AVX2=1", "FASTGRAD_HAVE_AVX512=1"] }],
      ["target_arch=='arm64'", { "defines": ["FASTGRAD_HAVE_NEON=1"] }]
    ]
  },
  "targets": [
    {
      "target_name": "fastgrad",
      "sources": ["<!@(node native/sources.js common)"],
      "libraries": ["-lpthread"],
      "conditions": [
        ["target_arch=='x64'", { "dependencies": ["fastgrad_avx2", "fastgrad_avx512"] }],
        ["target_arch=='arm64'", { "dependencies": ["fastgrad_neon"] }]
      ]
    },
    {
      "target_name": "fastgrad_avx2",
      "type": "static_library",
      "conditions": [
        ["target_arch=='x64'", { "sources": ["<!@(node native/sources.js avx2)"], "cflags": ["-fPIC", "-mavx2", "-mfma"] }]
      ]
    },
    {
      "target_name": "fastgrad_avx512",
      "type": "static_library",
      "conditions": [
        ["target_arch=='x64'", { "sources": ["<!@(node native/sources.js avx512)"], "cflags": ["-fPIC", "-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl", "-mfma"] }]
      ]
    },
    {
      "target_name": "fastgrad_neon",
      "type": "static_library",
      "conditions": [
        ["target_arch=='arm64'", { "sources": ["<!@(node native/sources.js neon)"], "cflags": ["-fPIC"] }]
      ]
    }
  ]
}
