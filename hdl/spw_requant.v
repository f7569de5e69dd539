// SPDX-License-Identifier: Apache-2.0
// Drain requantizer: accumulator column + bias -> 4-bit activations or int32 nibble planes.
`timescale 1ns / 1ps
`default_nettype none

// spw_requant: turns one drain-buffer column (ROWS signed accumulators) into
// one AMem word.
//   v = col + bias (bias sign-extended)
//   act mode: lane = clip(floor((v*scale + r) / 2^shift), 0, 15),
//             r = 2^(shift-1) if shift > 0 else 0   (models.reference.requantize)
//   acc mode: lane = bits [4k+3:4k] of the 32-bit two's complement of v, k = nib_i
//   pad_i[r] = 1 forces lane r to 0 in both modes (padding of the last tile).
// Latency REQ_LAT = 2: inputs sampled in cycle c, outputs in cycle c+2.
//   stage 1 (end of c)  : v = col + bias; rounding constant r from shift
//   stage 2 (end of c+1): p = v*scale + r (act) or p = v (acc)
//   output (cycle c+2)  : arithmetic shift / clip or nibble select, combinational
// Assumptions: ACC_W >= 9; no stall input (the drain never stalls).
module spw_requant #(
    // pixel lanes per word
    parameter integer ROWS = 8,
    // accumulator width in bits (signed), from models.spec Config.acc_w
    parameter integer ACC_W = 20,
    // AMem address width (passed through)
    parameter integer ADDR_W = 12
) (
    input  wire                    clk_i,
    input  wire                    rst_ni,
    /* drain column, cycle c */
    input  wire                    valid_i,
    // lane r (signed) at [r*ACC_W +: ACC_W]
    input  wire [ROWS*ACC_W-1:0]   col_i,
    // signed bias of this output channel
    input  wire [14:0]             bias_i,
    /* layer requantization parameters */
    // unsigned multiplier
    input  wire [15:0]             scale_i,
    // right shift 0..31
    input  wire [4:0]              shift_i,
    // 1 = raw int32 output, one nibble plane per word
    input  wire                    acc_mode_i,
    // acc mode: nibble plane 0..7
    input  wire [2:0]              nib_i,
    // 1 = padding lane, output 0
    input  wire [ROWS-1:0]         pad_i,
    input  wire [ADDR_W-1:0]       addr_i,
    /* AMem write, cycle c+2 */
    output wire                    valid_o,
    output wire [ADDR_W-1:0]       addr_o,
    output reg  [ROWS*4-1:0]       word_o
);

    // v = acc + bias needs one bit more than the wider operand
    localparam integer SUM_W = ((ACC_W > 15) ? ACC_W : 15) + 1;
    // v * scale (17 bit signed) + r (< 2^30) needs SUM_W + 17 bits; keep at
    // least 33 so the acc-mode nibble planes 0..7 come from sign-extended bits
    localparam integer P_W = (SUM_W + 18 > 33) ? SUM_W + 18 : 33;

    initial begin
        if (ROWS < 1 || ACC_W < 9 || ADDR_W < 1) begin
            $error("%m: need ROWS >= 1 (%0d), ACC_W >= 9 (%0d), ADDR_W >= 1 (%0d)",
                   ROWS, ACC_W, ADDR_W);
            $finish;
        end
    end

    /* stage 1 */
    reg              valid1_q, acc1_q;
    reg [15:0]       scale1_q;
    reg [4:0]        shift1_q;
    reg [P_W-1:0]    rnd1_q;          // round_f(shift), ready before the multiply
    reg [2:0]        nib1_q;
    reg [ROWS-1:0]   pad1_q;
    reg [ADDR_W-1:0] addr1_q;
    reg [SUM_W-1:0]  v1_q [0:ROWS-1];
    /* stage 2 */
    reg              valid2_q, acc2_q;
    reg [4:0]        shift2_q;
    reg [2:0]        nib2_q;
    reg [ROWS-1:0]   pad2_q;
    reg [ADDR_W-1:0] addr2_q;
    reg [P_W-1:0]    p2_q [0:ROWS-1];

    // Rounding constant 2^(shift-1), 0 for shift 0.
    function [P_W-1:0] round_f;
        input [4:0] sh;
        begin
            round_f = (sh == 5'd0) ? {P_W{1'b0}} : ({{(P_W-1){1'b0}}, 1'b1} << (sh - 5'd1));
        end
    endfunction

    function [SUM_W-1:0] add_bias_f;
        input [ACC_W-1:0] acc;
        input [14:0]      bias;
        begin
            add_bias_f = {{(SUM_W-ACC_W){acc[ACC_W-1]}}, acc} + {{(SUM_W-15){bias[14]}}, bias};
        end
    endfunction

    // v*scale + rnd as one expression, so synthesis builds one multiply-add
    // (a single carry-propagate adder at the end); rnd comes from a register.
    function [P_W-1:0] scale_f;
        input [SUM_W-1:0] v;
        input [15:0]      scale;
        input [P_W-1:0]   rnd;
        begin
            // v is widened by its sign and scale by zeros to P_W by hand, so
            // no operator mixes widths or signedness
            scale_f = $unsigned($signed(sext_f(v)) * $signed({{(P_W-16){1'b0}}, scale}) + $signed(rnd));
        end
    endfunction

    function [P_W-1:0] sext_f;
        input [SUM_W-1:0] v;
        begin
            sext_f = {{(P_W-SUM_W){v[SUM_W-1]}}, v};
        end
    endfunction

    // Nibble plane k of a 32-bit two's-complement value.
    function [3:0] nibble_f;
        input [31:0] v;
        input [2:0]  k;
        begin
            case (k)
                3'd0:    nibble_f = v[3:0];
                3'd1:    nibble_f = v[7:4];
                3'd2:    nibble_f = v[11:8];
                3'd3:    nibble_f = v[15:12];
                3'd4:    nibble_f = v[19:16];
                3'd5:    nibble_f = v[23:20];
                3'd6:    nibble_f = v[27:24];
                default: nibble_f = v[31:28];
            endcase
        end
    endfunction

    integer r;

    always @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
            valid1_q <= 1'b0;
            acc1_q   <= 1'b0;
            scale1_q <= 16'd0;
            shift1_q <= 5'd0;
            rnd1_q   <= {P_W{1'b0}};
            nib1_q   <= 3'd0;
            pad1_q   <= {ROWS{1'b0}};
            addr1_q  <= {ADDR_W{1'b0}};
            valid2_q <= 1'b0;
            acc2_q   <= 1'b0;
            shift2_q <= 5'd0;
            nib2_q   <= 3'd0;
            pad2_q   <= {ROWS{1'b0}};
            addr2_q  <= {ADDR_W{1'b0}};
            for (r = 0; r < ROWS; r = r + 1) begin
                v1_q[r] <= {SUM_W{1'b0}};
                p2_q[r] <= {P_W{1'b0}};
            end
        end else begin
            valid1_q <= valid_i;
            acc1_q   <= acc_mode_i;
            scale1_q <= scale_i;
            shift1_q <= shift_i;
            rnd1_q   <= round_f(shift_i);
            nib1_q   <= nib_i;
            pad1_q   <= pad_i;
            addr1_q  <= addr_i;
            valid2_q <= valid1_q;
            acc2_q   <= acc1_q;
            shift2_q <= shift1_q;
            nib2_q   <= nib1_q;
            pad2_q   <= pad1_q;
            addr2_q  <= addr1_q;
            for (r = 0; r < ROWS; r = r + 1) begin
                v1_q[r] <= add_bias_f(col_i[r * ACC_W +: ACC_W], bias_i);
                p2_q[r] <= acc1_q ? sext_f(v1_q[r]) : scale_f(v1_q[r], scale1_q, rnd1_q);
            end
        end
    end

    /* output: floor-shift and clip, or nibble select */
    reg [P_W-1:0] y;
    integer       l;

    always @* begin
        word_o = {ROWS*4{1'b0}};
        for (l = 0; l < ROWS; l = l + 1) begin
            // >>> on a signed value floors, matching numpy's >> on int64
            y   = $unsigned($signed(p2_q[l]) >>> shift2_q);
            if (pad2_q[l]) begin
                word_o[4 * l +: 4] = 4'd0;
            end else if (acc2_q) begin
                word_o[4 * l +: 4] = nibble_f(p2_q[l][31:0], nib2_q);
            end else if (y[P_W-1]) begin
                word_o[4 * l +: 4] = 4'd0;
            end else if (y > 15) begin
                word_o[4 * l +: 4] = 4'd15;
            end else begin
                word_o[4 * l +: 4] = y[3:0];
            end
        end
    end

    assign valid_o = valid2_q;
    assign addr_o  = addr2_q;

endmodule

`default_nettype wire
