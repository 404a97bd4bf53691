// libsystemc ships a main() that prints a banner before calling sc_main. Ours takes
// precedence at link time, silences the banner (reports and the one-line error contract
// want a quiet tool) and then hands over to the SystemC kernel as usual.
#include <cstdlib>
#include <systemc>

#include "sim/cli/cli.hpp"

int sc_main(int argc, char* argv[]) {
  return kq::cli_main(argc, argv);
}

int main(int argc, char* argv[]) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  return sc_core::sc_elab_and_sim(argc, argv);
}
