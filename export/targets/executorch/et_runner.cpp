// The ExecuTorch runner of `cloformer-bench arm64`, cross-compiled at set-up against the headers and
// shared libraries of the aarch64 executorch wheel (the same version as the host's): the runtime
// without Python, so torch (a CUDA build on aarch64) never enters the emulated userland.
//
// et_runner MODEL.pte OUTDIR MEASURED INPUT.bin...   (the same contract as the arm64 platform's guest_main.py after its LOADER)
//   runs the method "forward" once per input (raw float32 in, OUTDIR/output<i>.bin raw float32
//   out), then MEASURED more times on the first input, each between two marks for the counter.
#include <executorch/extension/module/module.h>
#include <executorch/extension/tensor/tensor.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

using executorch::aten::ScalarType;
using executorch::extension::Module;
using executorch::runtime::Error;

namespace {
constexpr int kMark = 0x7C10F0;  // count_insns.c records the count at close(kMark)

void mark() { close(kMark); }  // fails with EBADF, which is the point

int fail(const std::string& what) {
  std::fprintf(stderr, "%s\n", what.c_str());
  return 1;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) return fail("usage: et_runner MODEL.pte OUTDIR MEASURED INPUT.bin...");
  const std::string outdir = argv[2];
  const int measured = std::stoi(argv[3]);
  Module module(argv[1]);
  if (module.load_method("forward") != Error::Ok) return fail(std::string("cannot load forward of ") + argv[1]);
  auto meta = module.method_meta("forward");
  auto input_meta = meta->input_tensor_meta(0);
  if (!input_meta.ok()) return fail("forward has no tensor input");
  std::vector<int> sizes(input_meta->sizes().begin(), input_meta->sizes().end());
  size_t numel = 1;
  for (int s : sizes) numel *= s;
  mark();  // loaded

  std::vector<std::vector<float>> inputs;
  for (int i = 4; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    std::vector<float> data(numel);
    if (!in.read(reinterpret_cast<char*>(data.data()), numel * sizeof(float)) || in.peek() != EOF)
      return fail(std::string(argv[i]) + ": not " + std::to_string(numel) + " float32 values");
    inputs.push_back(std::move(data));
  }
  auto run = [&](std::vector<float>& data) {
    auto tensor = executorch::extension::from_blob(data.data(), sizes, ScalarType::Float);
    return module.forward(tensor);
  };
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto outputs = run(inputs[i]);
    if (!outputs.ok() || outputs->empty() || !(*outputs)[0].isTensor())
      return fail("forward failed (error " + std::to_string(int(outputs.error())) + ")");
    const auto& out = (*outputs)[0].toTensor();
    std::ofstream file(outdir + "/output" + std::to_string(i) + ".bin", std::ios::binary);
    file.write(static_cast<const char*>(out.const_data_ptr()), out.nbytes());
    if (!file) return fail("cannot write to " + outdir);
  }
  for (int k = 0; k < measured; ++k) {
    mark();
    auto outputs = run(inputs[0]);
    mark();
    if (!outputs.ok()) return fail("forward failed on a counted run");
  }
  return 0;
}
