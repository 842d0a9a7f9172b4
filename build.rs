fn main() {
    // The grammar lives outside src/ (grammar/formula.lalrpop); LALRPOP writes the parser to OUT_DIR.
    lalrpop::Configuration::new()
        .set_in_dir("grammar")
        .emit_rerun_directives(true)
        .process()
        .expect("LALRPOP failed to generate the formula parser");
}
