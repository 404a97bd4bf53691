# Seed corpora and flags of the fuzz targets, shared by tests/fuzz/run_fuzz.sh (ctest) and
# scripts/fuzz.sh (long campaigns). Sourced, not run.

# seed_dirs ROOT KIND: one directory per line. The repository's own inputs are seeds as they
# are; tests/fuzz/seeds/KIND holds what they lack (minimised finds, odd-but-valid files).
seed_dirs() {
  local root="$1" kind="$2"
  echo "$root/tests/fuzz/seeds/$kind"
  case "$kind" in
    config)
      echo "$root/arch_configs"
      echo "$root/arch_configs/tech"
      echo "$root/workloads/test"
      echo "$root/workloads/scalesim"
      echo "$root/tests/golden/arch"
      ;;
    npy)
      echo "$root/tests/data/npy"
      ;;
  esac
}

# fuzz_flags ROOT KIND: libFuzzer flags of the target.
fuzz_flags() {
  local root="$1" kind="$2"
  case "$kind" in
    config) echo "-max_len=16384 -dict=$root/tests/fuzz/config.dict" ;;
    npy) echo "-max_len=65536" ;;
  esac
}
