// SPDX-License-Identifier: Apache-2.0
// Drain controller: walks the drain buffer one word per cycle into the requantizer.
`timescale 1ns / 1ps
`default_nettype none

`include "spw_defs.vh"

// On a capture (cap_i) it snapshots the tile's output address, column count
// and biases, then from the next cycle reads one drain-buffer column per cycle
// (act mode) or the 8 nibble planes of each column (acc mode) and hands it to
// the requantizer with the AMem address it goes to:
//   channel c, tile t:  OADDR + c*OSTRIDE + t        (act)
//                       OADDR + c*OSTRIDE + 8t + k   (acc, plane k)
// Padding lanes of the last tile (pixel >= H*W) are flagged so they are
// written as 0. The drain never stalls, so the sequencer's capture stall
// always ends: cap_ok_o is high when the buffer is free this cycle (idle, or
// reading its last word, whose value is taken before the capture overwrites it).
// Latency: word k of a capture in cycle e is read in cycle e+1+k.
module spw_drain #(
    // MAC array rows = pixel lanes per word
    parameter ROWS = 8,
    // MAC array columns
    parameter COLS = 8,
    // AMem depth in words
    parameter ADEPTH = 4096
) (
    // Port widths are written out from the parameters: the localparams that
    // name them are declared in the body, after the ports, and a name may
    // not be used before its declaration.
    input  wire                 clk_i,
    input  wire                 rst_ni,

    /* capture from the sequencer */
    input  wire                 cap_i,
    input  wire [`SPW_TILE_W-1:0] cap_tile_i,
    input  wire [15:0]          cap_oaddr_i,
    input  wire [6:0]           cap_ncols_i,
    input  wire [COLS*15-1:0]   cap_bias_i,

    /* layer constants (stable while a layer drains: LAYER waits for quiet) */
    input  wire [15:0]          ostride_i,
    input  wire                 acc_mode_i,
    input  wire [19:0]          hw_i,
    input  wire [`SPW_TILE_W-1:0] tiles_i,

    output wire                 cap_ok_o,
    output wire                 quiet_o,

    /* to the MAC array drain buffer and the requantizer */
    output wire [$clog2(COLS)-1:0] rd_col_o,
    output wire                 rq_valid_o,
    output wire [14:0]          rq_bias_o,
    output wire [2:0]           rq_nib_o,
    output wire [ROWS-1:0]      rq_pad_o,
    output wire [$clog2(ADEPTH)-1:0] rq_addr_o
);
    localparam LC  = $clog2(COLS);
    localparam LR  = $clog2(ROWS);
    localparam AAW = $clog2(ADEPTH);

    reg              active_q;
    reg  [LC+3:0]    k_q;          // word index within this drain
    reg  [LC+3:0]    n_q;          // words in this drain
    reg  [23:0]      addr_q;
    reg  [14:0]      bias_q [0:COLS-1];
    reg  [ROWS-1:0]  pad_q;
    reg  [`SPW_REQ_LAT-1:0] pend_q;   // words still inside the requantizer

    wire [LC-1:0] col = acc_mode_i ? k_q[LC+2:3] : k_q[LC-1:0];
    wire          last_read = active_q && k_q == n_q - 1'b1;

    assign cap_ok_o   = !active_q || last_read;
    assign quiet_o    = !active_q && pend_q == {`SPW_REQ_LAT{1'b0}};
    assign rd_col_o   = col;
    assign rq_valid_o = active_q;
    assign rq_bias_o  = bias_q[col];
    assign rq_nib_o   = acc_mode_i ? k_q[2:0] : 3'd0;
    assign rq_pad_o   = pad_q;
    assign rq_addr_o  = addr_q[AAW-1:0];

    // lanes of the last tile holding real pixels: ((H*W - 1) mod ROWS) + 1
    wire [19:0]   hw_m1     = hw_i - 20'd1;
    wire [LR:0]   last_real = {1'b0, hw_m1[LR-1:0]} + 1'b1;
    wire          cap_last  = cap_tile_i == tiles_i - 1'b1;
    reg  [ROWS-1:0] cap_pad;
    integer r;
    // r < ROWS, so r[LR:0] is r itself, as wide and as unsigned as last_real
    always @* begin
        for (r = 0; r < ROWS; r = r + 1)
            cap_pad[r] = cap_last && (r[LR:0] >= last_real);
    end

    // words this capture drains: NCOLS, or 8 nibble planes per column
    wire [9:0] n_full = acc_mode_i ? {cap_ncols_i, 3'b000} : {3'd0, cap_ncols_i};
    // unused_* is exempt from the UNUSED lint: NCOLS <= COLS bounds n_full, and only the
    // low bits of H*W-1 decide the padding lanes.
    wire unused_bits = ^{n_full, hw_m1};

    wire [23:0] tile_off = acc_mode_i ? ({6'd0, cap_tile_i} << 3) : {6'd0, cap_tile_i};

    always @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
            active_q <= 1'b0;
            k_q <= {(LC+4){1'b0}};
            n_q <= {(LC+4){1'b0}};
            addr_q <= 24'd0;
            pad_q <= {ROWS{1'b0}};
            pend_q <= {`SPW_REQ_LAT{1'b0}};
            for (r = 0; r < COLS; r = r + 1) bias_q[r] <= 15'd0;
        end else begin
            pend_q <= {pend_q[`SPW_REQ_LAT-2:0], active_q};
            if (cap_i) begin
                active_q <= 1'b1;
                k_q <= {(LC+4){1'b0}};
                n_q <= n_full[LC+3:0];
                addr_q <= {8'd0, cap_oaddr_i} + tile_off;
                pad_q <= cap_pad;
                for (r = 0; r < COLS; r = r + 1) bias_q[r] <= cap_bias_i[r*15 +: 15];
            end else if (active_q) begin
                k_q <= k_q + 1'b1;
                if (last_read) active_q <= 1'b0;
                // next word: the next column, or (acc) the next nibble plane
                if (acc_mode_i && k_q[2:0] != 3'd7)
                    addr_q <= addr_q + 24'd1;
                else if (acc_mode_i)
                    addr_q <= addr_q + {8'd0, ostride_i} - 24'd7;
                else
                    addr_q <= addr_q + {8'd0, ostride_i};
            end
        end
    end
endmodule

`default_nettype wire
