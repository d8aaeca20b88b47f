#include "app/cli.h"

int main(int argc, char** argv) { return accrue::app::Main(argc, argv); }
