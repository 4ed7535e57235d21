//! Links the conformance suite with Courier's program layout.

fn main() {
    courier_program_link::program();
}
