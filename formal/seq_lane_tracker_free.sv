// SPDX-License-Identifier: Apache-2.0
// Formal stand-in for spw_lane_tracker: the same ports, free outputs.
`default_nettype none

// The lane tracker only computes the aligner's lane mask (which lanes of a
// tap read a real pixel) and the drain's keep mask (stride 2): data, not
// control.  No sequencer decision, address
// or handshake depends on it, so replacing its outputs by values the solver
// picks freely every cycle keeps every sequencer property sound and removes
// its divmod tables from the proof.
module spw_lane_tracker #(
    parameter integer ROWS = 8,
    parameter integer DIM_W = 10
) (
    input  wire              clk_i,
    input  wire              rst_ni,
    input  wire              init_i,
    input  wire [DIM_W-1:0]  h_i,
    input  wire [DIM_W-1:0]  w_i,
    input  wire              restart_i,
    input  wire              advance_i,
    input  wire [3:0]        tap_i,
    output wire [ROWS-1:0]   mask_o,
    output wire [ROWS-1:0]   inimg_o,
    output wire [ROWS-1:0]   keep_o
);
    (* anyseq *) reg [ROWS-1:0] f_mask;
    (* anyseq *) reg [ROWS-1:0] f_inimg;
    (* anyseq *) reg [ROWS-1:0] f_keep;
    assign mask_o = f_mask;
    assign inimg_o = f_inimg;
    assign keep_o = f_keep;
    wire unused = ^{clk_i, rst_ni, init_i, h_i, w_i, restart_i, advance_i, tap_i};
endmodule

`default_nettype wire
