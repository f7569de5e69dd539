// SPDX-License-Identifier: Apache-2.0
// Cartesian-product MAC array: ROWS activation lanes x COLS weight lanes.
`timescale 1ns / 1ps
`default_nettype none

// spw_mac_array: each step adds the outer product a (x) w of one aligned
// activation word (ROWS unsigned 4-bit lanes) and one weight word (COLS
// signed 4-bit lanes) to ROWS x COLS accumulators A.  The last step of a tile
// writes its sum into the drain buffer D instead of A ("capture"), so the
// next tile can start accumulating while D drains.
//
// Per cycle with step_i:  sum[r][c] = (first_i ? 0 : A[r][c]) + a[r]*w[c];
//                         last_i ? D[r][c] <= sum : A[r][c] <= sum.
// A single-step tile has first_i = last_i = 1; a null step has a_i = 0.
// Latency: the step's result is in A / D after the clock edge that ends the
// step cycle; rd_data_o is a combinational read of D column rd_col_i.
// Assumptions: ACC_W is Config.acc_w, which bounds every reachable sum, so
// no saturation is needed.  A and D reset to 0.
// Implementation: A and D are arrays updated in one procedural loop (Icarus
// slows down ~25x on 32x32 when wide buses are built from per-cell slices).
module spw_mac_array #(
    // activation lanes (pixels per AMem word)
    parameter integer ROWS = 8,
    // weight lanes (output channels per WMem word); power of two
    parameter integer COLS = 8,
    // accumulator width in bits (signed), from models.spec Config.acc_w
    parameter integer ACC_W = 20
) (
    input  wire                      clk_i,
    input  wire                      rst_ni,
    /* step control: valid in the MAC stage cycle */
    input  wire                      step_i,
    // first step of a tile: start from 0 instead of A
    input  wire                      first_i,
    // last step of a tile: write the sum into D instead of A
    input  wire                      last_i,
    /* operands: lane r of a_i (unsigned) at [4r+3:4r], lane c of w_i (signed) at [4c+3:4c] */
    input  wire [ROWS*4-1:0]         a_i,
    input  wire [COLS*4-1:0]         w_i,
    /* drain buffer read: column rd_col_i, lane r (signed) at [r*ACC_W +: ACC_W] */
    input  wire [$clog2(COLS)-1:0]   rd_col_i,
    output reg  [ROWS*ACC_W-1:0]     rd_data_o
);

    localparam integer CW = $clog2(COLS);

    initial begin
        if (ROWS < 1 || COLS < 2 || (1 << CW) != COLS) begin
            $error("%m: ROWS (%0d) must be >= 1 and COLS (%0d) a power of two >= 2", ROWS, COLS);
            $finish;
        end
        // one product spans [-120, 105]: 9 bits signed
        if (ACC_W < 9) begin
            $error("%m: ACC_W (%0d) must be >= 9 to hold one product", ACC_W);
            $finish;
        end
    end

    // Cell (r, c) lives at index r*COLS + c.
    reg [ACC_W-1:0] acc_q [0:ROWS*COLS-1];
    reg [ACC_W-1:0] drn_q [0:ROWS*COLS-1];

    // base + a*w with a unsigned and w signed.  A function (not temporaries in
    // the clocked block) keeps every cell update a single non-blocking write.
    function [ACC_W-1:0] mac_f;
        input [ACC_W-1:0] base;
        input [3:0]       a;
        input [3:0]       w;
        begin
            // a is widened by zeros and w by its sign to the accumulator
            // width by hand, so no operator mixes widths or signedness; the
            // low ACC_W bits of the signed product are the same either way
            mac_f = base + $unsigned($signed({{(ACC_W-4){1'b0}}, a}) * $signed({{(ACC_W-4){w[3]}}, w}));
        end
    endfunction

    integer r, c;

    always @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
            for (r = 0; r < ROWS * COLS; r = r + 1) begin
                acc_q[r] <= {ACC_W{1'b0}};
                drn_q[r] <= {ACC_W{1'b0}};
            end
        end else if (step_i) begin
            for (r = 0; r < ROWS; r = r + 1) begin
                for (c = 0; c < COLS; c = c + 1) begin
                    if (last_i) begin
                        drn_q[r * COLS + c] <= mac_f(first_i ? {ACC_W{1'b0}} : acc_q[r * COLS + c],
                                                     a_i[4 * r +: 4], w_i[4 * c +: 4]);
                    end else begin
                        acc_q[r * COLS + c] <= mac_f(first_i ? {ACC_W{1'b0}} : acc_q[r * COLS + c],
                                                     a_i[4 * r +: 4], w_i[4 * c +: 4]);
                    end
                end
            end
        end
    end

    integer k;

    always @* begin
        rd_data_o = {ROWS*ACC_W{1'b0}};
        for (k = 0; k < ROWS; k = k + 1) begin
            rd_data_o[k * ACC_W +: ACC_W] = drn_q[{k[31-CW:0], rd_col_i}];
        end
    end

endmodule

`default_nettype wire
