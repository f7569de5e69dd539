// SPDX-License-Identifier: Apache-2.0
// Formal model of the drain's timing: words left to read and requantizer occupancy.
`default_nettype none

`include "spw_defs.vh"

// The contract between spw_sequencer and spw_drain, as a model both proofs
// instantiate (docs/formal.md, assume-guarantee):
//   a capture of NCOLS columns (8 nibble planes each in acc mode) leaves
//   n = NCOLS (act) or 8 * NCOLS (acc) words to read, one per cycle;
//   cap_ok  = at most one word left (the drain reads its last word this
//             cycle, so a capture may overwrite the buffer);
//   quiet   = no word left and none inside the REQ_LAT-deep requantizer.
// The sequencer proof assumes the drain's cap_ok / quiet equal this model's;
// the drain proof shows the real spw_drain's equal it, given the two
// guarantees the sequencer proof shows: a capture only when cap_ok, and
// 1 <= NCOLS <= COLS in every capture.
module drain_model #(
    parameter COLS = 8
) (
    input  wire                     clk_i,
    input  wire                     rst_ni,
    input  wire                     cap_i,
    input  wire [6:0]               ncols_i,
    input  wire                     acc_i,
    output reg  [9:0]               left_o,
    output reg  [`SPW_REQ_LAT-1:0]  pend_o,
    output wire                     cap_ok_o,
    output wire                     quiet_o
);
    wire [9:0] n = acc_i ? {ncols_i, 3'b000} : {3'd0, ncols_i};
    always @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
            left_o <= 10'd0;
            pend_o <= {`SPW_REQ_LAT{1'b0}};
        end else begin
            pend_o <= {pend_o[`SPW_REQ_LAT-2:0], left_o != 10'd0};
            if (cap_i)
                left_o <= n;
            else if (left_o != 10'd0)
                left_o <= left_o - 10'd1;
        end
    end
    assign cap_ok_o = left_o <= 10'd1;
    assign quiet_o = left_o == 10'd0 && pend_o == {`SPW_REQ_LAT{1'b0}};
    wire unused = ^{COLS};
endmodule

`default_nettype wire
