"""The momentum experiment end to end in quick mode."""




def test_quick_mode_writes_a_valid_run(quick_run):
    quick_run("momentum")
