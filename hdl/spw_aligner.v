// SPDX-License-Identifier: Apache-2.0
// Shift-PW activation aligner: funnel shift of two AMem words plus lane mask.
`timescale 1ns / 1ps
`default_nettype none

// spw_aligner: builds the aligned activation word of one step, as
// models.shiftpw.align_tile: lane r = pair[off + r] of pair = {hi, lo}
// (lo = word w0, hi = word w0+1 of the channel), zeroed where mask_i is 0.
//
// Timing (ISSUE_TO_MAC = 3), for a step whose control is sampled in cycle x
// (the cycle the sequencer presents the bank read addresses):
//   x   : control inputs sampled into stage 0 (they wait one cycle for data)
//   x+1 : even_i / odd_i (bank rdata) valid; word select, out-of-channel
//         zeroing and funnel shift -> stage-1 register
//   x+2 : lane mask -> stage-2 register
//   x+3 : valid_o / a_o visible (the MAC stage)
// en_i = 0 freezes every register (global stall): cycles with en_i = 0 do
// not count as pipeline cycles.  The bank outputs must hold their data
// while stalled (spw_sram_1r1w holds rdata_o until its next read).
// a_o is 0 whenever valid_o is 0 (a bubble never carries stale data).
// Assumptions: ROWS is a power of two (off_i = d mod ROWS fits in clog2).
module spw_aligner #(
    // pixel lanes per AMem word
    parameter integer ROWS = 8
) (
    input  wire                    clk_i,
    input  wire                    rst_ni,
    // pipeline advance; 0 = every register holds
    input  wire                    en_i,
    /* step control, sampled in cycle x */
    input  wire                    valid_i,
    // 1 = word w0 is in the odd bank (lo = odd, hi = even)
    input  wire                    swap_i,
    // word w0 / w0+1 lies inside the channel's [0, T) words (else reads as 0)
    input  wire                    lo_ok_i,
    input  wire                    hi_ok_i,
    // lane rotation: d mod ROWS
    input  wire [$clog2(ROWS)-1:0] off_i,
    // per-lane validity of this tap and tile
    input  wire [ROWS-1:0]         mask_i,
    /* bank read data, valid in cycle x+1 */
    input  wire [ROWS*4-1:0]       even_i,
    input  wire [ROWS*4-1:0]       odd_i,
    /* aligned word, cycle x+3 */
    output wire                    valid_o,
    output wire [ROWS*4-1:0]       a_o
);

    localparam integer OW = $clog2(ROWS);
    localparam integer DW = ROWS * 4;

    initial begin
        if (ROWS < 2 || (1 << OW) != ROWS) begin
            $error("%m: ROWS (%0d) must be a power of two >= 2", ROWS);
            $finish;
        end
    end

    /* stage 0: control of the step whose bank data arrives next cycle */
    reg            valid0_q, swap0_q, lo_ok0_q, hi_ok0_q;
    reg [OW-1:0]   off0_q;
    reg [ROWS-1:0] mask0_q;
    /* stage 1: shifted word */
    reg            valid1_q;
    reg [ROWS-1:0] mask1_q;
    reg [DW-1:0]   shift1_q;
    reg [DW-1:0]   shift1_d;
    /* stage 2: masked word */
    reg            valid2_q;
    reg [DW-1:0]   word2_q;
    reg [DW-1:0]   word2_d;

    reg [2*DW-1:0] pair;
    integer        l;

    // Funnel shift by whole lanes: {hi, lo} >> 4*off keeps lanes off..off+ROWS-1.
    always @* begin
        pair[DW-1:0]    = (swap0_q ? odd_i : even_i) & {DW{lo_ok0_q}};
        pair[2*DW-1:DW] = (swap0_q ? even_i : odd_i) & {DW{hi_ok0_q}};
        shift1_d        = pair[{1'b0, off0_q, 2'b00} +: DW];
    end

    always @* begin
        for (l = 0; l < ROWS; l = l + 1) begin
            word2_d[4 * l +: 4] = shift1_q[4 * l +: 4] & {4{mask1_q[l] & valid1_q}};
        end
    end

    always @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
            valid0_q <= 1'b0;
            swap0_q  <= 1'b0;
            lo_ok0_q <= 1'b0;
            hi_ok0_q <= 1'b0;
            off0_q   <= {OW{1'b0}};
            mask0_q  <= {ROWS{1'b0}};
            valid1_q <= 1'b0;
            mask1_q  <= {ROWS{1'b0}};
            shift1_q <= {DW{1'b0}};
            valid2_q <= 1'b0;
            word2_q  <= {DW{1'b0}};
        end else if (en_i) begin
            valid0_q <= valid_i;
            swap0_q  <= swap_i;
            lo_ok0_q <= lo_ok_i;
            hi_ok0_q <= hi_ok_i;
            off0_q   <= off_i;
            mask0_q  <= mask_i;
            valid1_q <= valid0_q;
            mask1_q  <= mask0_q;
            shift1_q <= shift1_d;
            valid2_q <= valid1_q;
            word2_q  <= word2_d;
        end
    end

    assign valid_o = valid2_q;
    assign a_o     = word2_q;

endmodule

`default_nettype wire
