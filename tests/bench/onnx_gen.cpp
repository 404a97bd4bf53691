// Writes the benchmark inputs of scripts/bench.sh (nothing is downloaded, nothing committed):
//   kqsim_onnx_gen resnet50 OUT.onnx        torchvision's ResNet-50 shape, seeded weights
//                                           (~100 MB, BatchNormalization unfolded)
//   kqsim_onnx_gen small_cnn DIR N          DIR/small_cnn.onnx (1x28x28 -> 10) and N synthetic
//                                           Fashion-MNIST-sized samples DIR/inputs.npy,
//                                           labelled by the float model (DIR/labels.npy)
#include <cstdio>
#include <cstdlib>
#include <string>

#include "models/accuracy/float_reference.hpp"
#include "models/accuracy/topk.hpp"
#include "models/common/input_error.hpp"
#include "models/onnx/onnx_model.hpp"
#include "models/workload/synthetic.hpp"
#include "onnx_builder/test_models.hpp"

int main(int argc, char* argv[]) {
  const std::string what = argc > 1 ? argv[1] : "";
  try {
    if (what == "resnet50" && argc == 3) {
      kqtest::resnet50_model(1).save(argv[2]);
      return 0;
    }
    if (what == "small_cnn" && argc == 4) {
      const std::string dir = argv[2];
      const uint64_t n = std::strtoull(argv[3], nullptr, 10);
      kqtest::small_cnn(1).save(dir + "/small_cnn.onnx");
      // Images of N(0, 1) pixels (a normalised input); labels are the float model's own
      // top-1 classes, so the float reference scores 100% and a design's accuracy is its
      // agreement with the float model.
      const kq::OnnxModel m = kq::load_onnx_model(dir + "/small_cnn.onnx");
      const kq::FloatReference ref(m.workload, m.params);
      kqtest::Samples s;
      s.n = n;
      s.inputs.resize(n * 28 * 28);
      kq::Rng r(7);
      for (float& v : s.inputs) v = static_cast<float>(r.normal());
      for (uint64_t i = 0; i < n; ++i) {
        const std::vector<float> x(s.inputs.begin() + static_cast<std::ptrdiff_t>(i * 784),
                                   s.inputs.begin() + static_cast<std::ptrdiff_t>((i + 1) * 784));
        s.labels.push_back(kq::top1_class(ref.run(x)));
      }
      kqtest::save_samples(s, {1, 28, 28}, dir + "/inputs.npy", dir + "/labels.npy");
      return 0;
    }
  } catch (const kq::InputError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
  std::fprintf(stderr, "usage: %s resnet50 OUT.onnx | small_cnn DIR N\n", argv[0]);
  return 2;
}
