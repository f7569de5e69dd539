// SPDX-License-Identifier: Apache-2.0
// Body fragment of the SRAM models (spw_sram_1p, spw_sram_1r1w), included
// inside each module after its mem_q: no include guard, since every module
// that includes it needs its own copy of these declarations.
    // Simulation-only bulk backdoor (rtlsim/backdoor.py).  Moving a whole
    // image one VPI access per word costs more than simulating a layer on
    // large configurations, so the testbench names a hex file and a word
    // range, then raises bd_load / bd_dump: one $readmemh / $writememh moves
    // the range.  Edge-triggered, because a level-sensitive block would run
    // at Verilator's time-0 settle with no file named.  Synthesis and formal
    // (yosys defines SYNTHESIS) never see it; gate-level runs keep it, since
    // the netlist instantiates these models.
    localparam integer BD_PATH_CHARS = 256;
    // driven by the testbench only, through VPI
    /* verilator lint_off UNDRIVEN */
    reg [8*BD_PATH_CHARS-1:0] bd_path;
    reg [31:0] bd_first;
    reg [31:0] bd_last;
    reg bd_load;
    reg bd_dump;
    /* verilator lint_on UNDRIVEN */
    always @(posedge bd_load) begin
        $readmemh(bd_path, mem_q, bd_first, bd_last);
    end
    always @(posedge bd_dump) begin
        $writememh(bd_path, mem_q, bd_first, bd_last);
    end
