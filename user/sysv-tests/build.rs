//! Links the System V test programs with Courier's program layout.

fn main() {
    courier_program_link::program();
}
